"""The REST API under /api/: thin DRF views over events.selectors, events.services and events.exports."""
