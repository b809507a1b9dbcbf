// A CloudEvent's extensions (a google.protobuf.Struct) as the members of the envelope an HTTP
// app receives, written as the envelope's JSON tree first wrote them: protobuf printed the
// Struct as JSON, nlohmann read that back and dumped it, members in key order. Written
// directly from the Struct, except what that road treated its own way (see the .cc), which
// still takes it so the output stays the same byte for byte.
#pragma once

#include <google/protobuf/struct.pb.h>

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace plughost {

class ExtensionMembers {
 public:
  // One member: a Struct field written directly, or a member of the tree.
  struct Member {
    std::string_view key;
    const google::protobuf::Value* direct = nullptr;
    const nlohmann::json* tree = nullptr;
  };

  // `extensions` (null: none) must outlive this.
  explicit ExtensionMembers(const google::protobuf::Struct* extensions);
  ExtensionMembers(const ExtensionMembers&) = delete;
  ExtensionMembers& operator=(const ExtensionMembers&) = delete;

  // In key order.
  const std::vector<Member>& members() const { return members_; }

  // Appends `"key":value`.
  static void Append(const Member& member, std::string* out);

 private:
  nlohmann::json tree_;  // only for extensions not written directly
  std::vector<Member> members_;
};

}  // namespace plughost
