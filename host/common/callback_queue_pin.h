// A workaround for gRPC 1.51: keep its shared callback completion queue alive for the whole
// process. Call before creating any channel used with the callback API (cheap after the first).
#pragma once

namespace plughost {

void PinCallbackCompletionQueue();

}  // namespace plughost
