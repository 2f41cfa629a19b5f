module github.com/newsflow/newsflow/deployments/healthcheck

go 1.26.8
