"""gRPC server reflection (grpc.reflection.v1alpha and grpc.reflection.v1), which hosts use to
discover a component's services. Debian packages no grpcio-reflection, so this is a small
implementation over the generated reflection messages and protobuf's default descriptor pool.

Answers:
- list_services: every registered service, the reflection services included;
- file_by_filename, file_containing_symbol, file_containing_extension: the file descriptor and
  its transitive dependencies (serialized FileDescriptorProto), so tools such as grpcurl work;
- all_extension_numbers_of_type: the extension numbers the pool knows;
- anything unknown: error_response NOT_FOUND (or INVALID_ARGUMENT for an empty request).
"""

import grpc
from google.protobuf import descriptor_pool

from reflection_protos.v1 import reflection_pb2 as v1_pb2
from reflection_protos.v1 import reflection_pb2_grpc as v1_pb2_grpc
from reflection_protos.v1alpha import reflection_pb2 as v1alpha_pb2
from reflection_protos.v1alpha import reflection_pb2_grpc as v1alpha_pb2_grpc

_VERSIONS = (
    (v1alpha_pb2, v1alpha_pb2_grpc, "grpc.reflection.v1alpha.ServerReflection"),
    (v1_pb2, v1_pb2_grpc, "grpc.reflection.v1.ServerReflection"),
)
REFLECTION_SERVICES = tuple(name for _, _, name in _VERSIONS)


def _with_dependencies(file_descriptor):
    """The file first, then every file it imports, transitively, each once."""
    ordered, seen, pending = [], set(), [file_descriptor]
    while pending:
        current = pending.pop(0)
        if current.name in seen:
            continue
        seen.add(current.name)
        ordered.append(current)
        pending.extend(current.dependencies)
    return ordered


class _ReflectionServicer:
    def __init__(self, pb2, service_names, pool):
        self._pb2 = pb2
        self._service_names = sorted(service_names)
        self._pool = pool

    def _error(self, code, message):
        return {"error_response": self._pb2.ErrorResponse(error_code=code.value[0],
                                                          error_message=message)}

    def _files(self, file_descriptor):
        return {"file_descriptor_response": self._pb2.FileDescriptorResponse(
            file_descriptor_proto=[f.serialized_pb for f in _with_dependencies(file_descriptor)])}

    def _answer_fields(self, request):
        pb2, pool = self._pb2, self._pool
        kind = request.WhichOneof("message_request")
        try:
            if kind == "list_services":
                return {"list_services_response": pb2.ListServiceResponse(
                    service=[pb2.ServiceResponse(name=n) for n in self._service_names])}
            if kind == "file_by_filename":
                return self._files(pool.FindFileByName(request.file_by_filename))
            if kind == "file_containing_symbol":
                return self._files(pool.FindFileContainingSymbol(request.file_containing_symbol))
            if kind == "file_containing_extension":
                wanted = request.file_containing_extension
                extendee = pool.FindMessageTypeByName(wanted.containing_type)
                extension = pool.FindExtensionByNumber(extendee, wanted.extension_number)
                return self._files(extension.file)
            if kind == "all_extension_numbers_of_type":
                message = pool.FindMessageTypeByName(request.all_extension_numbers_of_type)
                return {"all_extension_numbers_response": pb2.ExtensionNumberResponse(
                    base_type_name=message.full_name,
                    extension_number=[e.number for e in pool.FindAllExtensions(message)])}
        except KeyError:
            return self._error(grpc.StatusCode.NOT_FOUND, f"{kind}: not found")
        return self._error(grpc.StatusCode.INVALID_ARGUMENT, "empty reflection request")

    async def ServerReflectionInfo(self, request_iterator, context):  # pylint: disable=invalid-name
        async for request in request_iterator:
            yield self._pb2.ServerReflectionResponse(
                valid_host=request.host, original_request=request, **self._answer_fields(request))


def add_reflection(server, service_names, pool=None):
    """Serves both reflection versions on `server`, listing `service_names` and themselves."""
    pool = pool or descriptor_pool.Default()
    names = set(service_names) | set(REFLECTION_SERVICES)
    for pb2, pb2_grpc, _ in _VERSIONS:
        pb2_grpc.add_ServerReflectionServicer_to_server(_ReflectionServicer(pb2, names, pool),
                                                        server)
    return sorted(names)
