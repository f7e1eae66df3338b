library(testthat)
library(exportres)

test_check("exportres")
