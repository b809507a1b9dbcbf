#include "host/http/dapr_http_route.h"

#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace plughost::dapr_http {

namespace http = boost::beast::http;

namespace {

HttpResponse JsonError(int status, const nlohmann::json& body) {
  // Messages may carry bytes from the request; never let them make the dump throw.
  return JsonResponse(status, Dump(body));
}

constexpr char kTypePrefix[] = "type.googleapis.com/";

// daprd's JSON for the details its rich errors carry (dapr/kit errors), or null when the status
// has none of daprd's own: details a component sent are not the API's to show.
nlohmann::json RichDetails(const grpc::Status& status) {
  if (status.error_details().empty()) return nullptr;
  google::rpc::Status rich;
  if (!rich.ParseFromString(status.error_details())) return nullptr;
  nlohmann::json details = nlohmann::json::array();
  bool daprs = false;
  for (const auto& any : rich.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::ResourceInfo resource;
    google::rpc::BadRequest bad_request;
    if (any.UnpackTo(&info)) {
      daprs = daprs || info.domain() == "dapr.io";
      nlohmann::json metadata = nullptr;  // Go's nil map
      for (const auto& [key, value] : info.metadata()) metadata[key] = value;
      details.push_back({{"@type", std::string(kTypePrefix) + "google.rpc.ErrorInfo"},
                         {"reason", info.reason()},
                         {"domain", info.domain()},
                         {"metadata", metadata}});
    } else if (any.UnpackTo(&resource)) {
      details.push_back({{"@type", std::string(kTypePrefix) + "google.rpc.ResourceInfo"},
                         {"resource_type", resource.resource_type()},
                         {"resource_name", resource.resource_name()},
                         {"owner", resource.owner()},
                         {"description", resource.description()}});
    } else if (any.UnpackTo(&bad_request)) {
      nlohmann::json violations = nlohmann::json::array();
      for (const auto& violation : bad_request.field_violations()) {
        violations.push_back(
            {{"field", violation.field()}, {"description", violation.description()}});
      }
      details.push_back({{"@type", std::string(kTypePrefix) + "google.rpc.BadRequest"},
                         {"field_violations", violations}});
    }
  }
  return daprs ? details : nlohmann::json(nullptr);
}

}  // namespace

bool HasText(const grpc::Status& status, std::string_view text) {
  return status.error_message().find(text) != std::string::npos;
}

std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  return JsonError(status, {{"errorCode", code}, {"message", message}});
}

HttpResponse ErrorResponse(HttpError error, const grpc::Status& status) {
  nlohmann::json body = {{"errorCode", error.code}, {"message", status.error_message()}};
  if (auto details = RichDetails(status); !details.is_null()) body["details"] = details;
  return JsonError(error.status, body);
}

HttpResponse NoContent() {
  HttpResponse response(http::status::no_content, 11);
  return response;
}

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse response(static_cast<http::status>(status), 11);
  response.set(http::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's url.QueryUnescape: %XX decoded, '+' is a space; false on a bad escape.
bool QueryUnescape(std::string_view text, std::string* out) {
  out->clear();
  out->reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return false;
      int high = HexValue(text[i + 1]), low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return false;
      out->push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  return true;
}

}  // namespace

Target ParseTarget(std::string_view target) {
  Target parsed;
  std::string_view path = target, query;
  if (auto mark = target.find('?'); mark != std::string_view::npos) {
    path = target.substr(0, mark);
    query = target.substr(mark + 1);
  }
  // Cleaned: empty segments ("//", a trailing "/") and "." vanish, ".." drops its parent.
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view raw = path.substr(start, end - start);
    start = end + 1;
    if (raw.empty() || raw == ".") continue;
    if (raw == "..") {
      if (!parsed.segments.empty()) parsed.segments.pop_back();
      continue;
    }
    std::string decoded;
    if (!QueryUnescape(raw, &decoded)) parsed.bad_escape = true;
    parsed.segments.push_back(std::move(decoded));
  }
  start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    std::string_view key = pair, value;
    if (auto eq = pair.find('='); eq != std::string_view::npos) {
      key = pair.substr(0, eq);
      value = pair.substr(eq + 1);
    }
    std::string k, v;
    // Go's ParseQuery skips a pair it cannot unescape.
    if (!QueryUnescape(key, &k) || !QueryUnescape(value, &v)) continue;
    parsed.query[k].push_back(std::move(v));
  }
  return parsed;
}

std::map<std::string, std::string> Route::QueryMetadata() const {
  std::map<std::string, std::string> metadata;
  constexpr std::string_view kPrefix = "metadata.";
  for (const auto& [key, values] : target.query) {
    if (key.size() > kPrefix.size() && key.compare(0, kPrefix.size(), kPrefix) == 0 &&
        !values.empty()) {
      metadata[key.substr(kPrefix.size())] = values.front();
    }
  }
  return metadata;
}

std::string Route::QueryValue(const std::string& key) const {
  auto it = target.query.find(key);
  if (it == target.query.end() || it->second.empty()) return "";
  return it->second.front();
}

}  // namespace plughost::dapr_http
