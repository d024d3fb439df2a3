"""Kafka messaging on FastStream + aiokafka: typed events, publisher, consumer pipeline."""
