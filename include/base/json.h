// A thin RAII layer over cJSON: owning pointers, typed lookups and serialisation.
#pragma once

#include <cjson/cJSON.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace otr {

struct JsonDeleter {
  void operator()(cJSON* p) const { cJSON_Delete(p); }
};
using JsonPtr = std::unique_ptr<cJSON, JsonDeleter>;

// nullptr when `text` is not valid JSON.
JsonPtr json_parse(std::string_view text);

// Compact serialisation. Throws std::bad_alloc when cJSON cannot allocate.
std::string json_print(const cJSON* value);

// Member lookups (case-sensitive); nullopt / nullptr when absent or of another type.
std::optional<std::string> json_string(const cJSON* object, const char* name);
std::optional<double> json_number(const cJSON* object, const char* name);
// A whole number in [0, 2^53] (what a JSON number holds exactly); nullopt for anything else,
// including 1e999 (infinity once parsed), which must never be cast to an integer.
std::optional<std::int64_t> json_count(const cJSON* object, const char* name);
const cJSON* json_object(const cJSON* object, const char* name);
const cJSON* json_array(const cJSON* object, const char* name);

// Builders that throw std::bad_alloc instead of returning null.
JsonPtr json_new_object();
JsonPtr json_new_array();
// Adds `child` to `object` under `name` (takes ownership), returns the child.
cJSON* json_add(cJSON* object, const char* name, JsonPtr child);
void json_add_string(cJSON* object, const char* name, std::string_view value);
void json_append_string(cJSON* array, std::string_view value);
cJSON* json_append(cJSON* array, JsonPtr child);

}  // namespace otr
