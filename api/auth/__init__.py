"""Authentication middleware, the access guard and the OpenAPI security scheme."""
