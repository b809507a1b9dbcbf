// A handle on a stream of deliveries from a component (pub/sub topic, input binding,
// configuration changes). Deliveries stop once Close() returns or the handle is destroyed.
#pragma once

namespace plughost {

class Subscription {
 public:
  virtual ~Subscription() = default;
  virtual void Close() = 0;
};

}  // namespace plughost
