"""Shared pieces of plughost's Python sample components.

A pluggable component serves gRPC on a Unix socket. These modules do what every component
needs besides its own services:

- stubs: find the generated protobuf/gRPC modules (built, not committed);
- sockets: choose the socket path and claim it safely;
- instances: keep state per x-component-instance header;
- errors: Dapr's error conventions (ETag details in grpc-status-details-bin);
- reflection: gRPC server reflection (v1alpha and v1), which hosts use for discovery;
- runner: argument parsing, serving, and a clean stop on SIGINT/SIGTERM.

Import `stubs` and call `stubs.install()` before anything that imports generated modules.
"""
