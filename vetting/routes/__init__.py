"""KT1 routes and assignments."""
