module github.com/annette-go/annette

go 1.26
