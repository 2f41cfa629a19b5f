module github.com/newsflow/newsflow/services/enrich

go 1.26.8

require (
	github.com/blevesearch/snowballstem v0.9.0
	github.com/jonreiter/govader v0.0.0-20250429093935-f6505c8d03cc
	github.com/newsflow/newsflow/pkg v0.0.0
	github.com/pemistahl/lingua-go v1.4.0
	google.golang.org/protobuf v1.31.0
)

require (
	github.com/google/go-cmp v0.5.8 // indirect
	golang.org/x/text v0.44.0 // indirect
)

replace github.com/newsflow/newsflow/pkg => ../../pkg
