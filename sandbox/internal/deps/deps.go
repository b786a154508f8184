// Package deps pins modules that packages still being written will import; removed once they do.
package deps

import (
	_ "github.com/brianvoe/gofakeit/v7"
	_ "github.com/cucumber/godog"
	_ "github.com/emmansun/gmsm/sm2"
	_ "github.com/emmansun/gmsm/sm3"
	_ "github.com/emmansun/gmsm/sm4"
	_ "github.com/emmansun/gmsm/smx509"
	_ "github.com/gofiber/fiber/v2"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/spf13/cobra"
	_ "github.com/tjfoc/gmsm/sm2"
	_ "github.com/tjfoc/gmsm/sm3"
	_ "github.com/tjfoc/gmsm/x509"
	_ "github.com/valyala/fasthttp"
	_ "golang.org/x/time/rate"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)
