module github.com/newsflow/newsflow/cmd/newsflow

go 1.26.8

require github.com/newsflow/newsflow/pkg v0.0.0

require (
	github.com/mattn/go-isatty v0.0.24 // indirect
	golang.org/x/sys v0.35.0 // indirect
)

replace github.com/newsflow/newsflow/pkg => ../../pkg
