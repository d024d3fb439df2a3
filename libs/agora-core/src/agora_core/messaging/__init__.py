"""Kafka messaging on plain aiokafka (docs/adr/0003): typed events, publisher, consumer pipeline."""
