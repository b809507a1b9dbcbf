"""Per-instance state: one component process serves every instance the host configures on its
socket, and tells them apart by the x-component-instance header on every call."""

INSTANCE_HEADER = "x-component-instance"
# For callers that send no header (such as a hand-written client). '#' never appears in a
# configured component name, so it cannot collide with one. Same name as the C++ sample.
DEFAULT_INSTANCE = "#default"


def instance_name(context):
    for key, value in context.invocation_metadata() or ():
        if key == INSTANCE_HEADER and value:
            return value
    return DEFAULT_INSTANCE


class InstanceMap:
    """Instances by name, created on first use by `factory(name)`.

    A call for an instance that was never initialised still finds one: daprd does not call
    Init again when a component restarts. The protocol has no Close, so none is removed.
    Used from the asyncio event loop only, so it needs no lock.
    """

    def __init__(self, factory):
        self._factory = factory
        self._instances = {}

    def get(self, name):
        instance = self._instances.get(name)
        if instance is None:
            instance = self._instances[name] = self._factory(name)
        return instance

    def for_call(self, context):
        return self.get(instance_name(context))

    def values(self):
        return list(self._instances.values())
