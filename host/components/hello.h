// Native interface of a hello service (Layotto's Hello building block).
#pragma once

#include <string>

#include "host/components/component.h"

namespace plughost {

class HelloService : public Component {
 public:
  virtual void SayHello(std::string name, const CallOptions& options,
                        Callback<std::string> done) = 0;
};

}  // namespace plughost
