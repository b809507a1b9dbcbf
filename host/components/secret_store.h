// Native interface of a secret store (Dapr's component-protocol types).
#pragma once

#include "dapr/proto/components/v1/secretstore.pb.h"
#include "host/components/component.h"

namespace plughost {

namespace secretspb = ::dapr::proto::components::v1;

inline constexpr char kFeatureMultipleKeyValuesPerSecret[] = "MULTIPLE_KEY_VALUES_PER_SECRET";

class SecretStore : public Component {
 public:
  // An unknown secret is NOT_FOUND.
  virtual void Get(secretspb::GetSecretRequest request, const CallOptions& options,
                   Callback<secretspb::GetSecretResponse> done) = 0;
  virtual void BulkGet(secretspb::BulkGetSecretRequest request, const CallOptions& options,
                       Callback<secretspb::BulkGetSecretResponse> done) = 0;
};

}  // namespace plughost
