"""AWS's on-demand prices of SageMaker real-time hosting: a dated snapshot packaged with
smgitops (`hosting.json`, refreshed by scripts/refresh_prices.py) and the parsing of the
Price List API's answers that builds it."""
