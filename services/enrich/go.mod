module github.com/newsflow/newsflow/services/enrich

go 1.26.8

require (
	github.com/blevesearch/snowballstem v0.9.0
	github.com/jonreiter/govader v0.0.0-20250429093935-f6505c8d03cc
	github.com/newsflow/newsflow/pkg v0.0.0
)

require (
	github.com/pemistahl/lingua-go v1.4.0 // indirect
	github.com/shopspring/decimal v1.3.1 // indirect
	golang.org/x/exp v0.0.0-20221106115401-f9659909a136 // indirect
	google.golang.org/protobuf v1.31.0 // indirect
)

replace github.com/newsflow/newsflow/pkg => ../../pkg
