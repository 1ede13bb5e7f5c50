"""The load test behind `make loadtest` (issue 11): see loadtest/__main__.py."""
