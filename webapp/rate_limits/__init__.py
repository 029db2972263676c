"""The one rate limiter of the product, kept in the database so it holds across processes."""
