"""Authentication middleware, the access check and the OpenAPI security scheme."""
