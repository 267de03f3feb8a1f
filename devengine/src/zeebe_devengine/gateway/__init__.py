"""The Zeebe gateway gRPC service over the engine, and the long polling that feeds it jobs."""
