module github.com/annette-go/annette

go 1.26

require (
	github.com/chzyer/readline v1.5.1
	go.uber.org/goleak v1.3.0
	pgregory.net/rapid v1.3.0
)

require golang.org/x/sys v0.0.0-20220310020820-b874c991c1a5 // indirect
