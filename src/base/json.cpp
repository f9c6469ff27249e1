#include "base/json.h"

#include <cmath>
#include <new>

namespace otr {

namespace {
JsonPtr checked(cJSON* p) {
  if (p == nullptr) throw std::bad_alloc();
  return JsonPtr(p);
}
}  // namespace

JsonPtr json_parse(std::string_view text) {
  return JsonPtr(cJSON_ParseWithLength(text.data(), text.size()));
}

std::string json_print(const cJSON* value) {
  std::unique_ptr<char, decltype(&cJSON_free)> text(cJSON_PrintUnformatted(value), &cJSON_free);
  if (!text) throw std::bad_alloc();
  return std::string(text.get());
}

std::optional<std::string> json_string(const cJSON* object, const char* name) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, name);
  if (!cJSON_IsString(item) || item->valuestring == nullptr) return std::nullopt;
  return std::string(item->valuestring);
}

std::optional<double> json_number(const cJSON* object, const char* name) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, name);
  if (!cJSON_IsNumber(item)) return std::nullopt;
  return item->valuedouble;
}

std::optional<std::int64_t> json_count(const cJSON* object, const char* name) {
  std::optional<double> number = json_number(object, name);
  constexpr double kLargest = 9007199254740992.0;  // 2^53
  if (!number || !std::isfinite(*number) || *number < 0 || *number > kLargest || std::floor(*number) != *number)
    return std::nullopt;
  return static_cast<std::int64_t>(*number);
}

const cJSON* json_object(const cJSON* object, const char* name) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, name);
  return cJSON_IsObject(item) ? item : nullptr;
}

const cJSON* json_array(const cJSON* object, const char* name) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, name);
  return cJSON_IsArray(item) ? item : nullptr;
}

JsonPtr json_new_object() { return checked(cJSON_CreateObject()); }
JsonPtr json_new_array() { return checked(cJSON_CreateArray()); }

cJSON* json_add(cJSON* object, const char* name, JsonPtr child) {
  cJSON* raw = child.get();
  if (!cJSON_AddItemToObject(object, name, raw)) throw std::bad_alloc();
  child.release();
  return raw;
}

void json_add_string(cJSON* object, const char* name, std::string_view value) {
  json_add(object, name, checked(cJSON_CreateString(std::string(value).c_str())));
}

cJSON* json_append(cJSON* array, JsonPtr child) {
  cJSON* raw = child.get();
  if (!cJSON_AddItemToArray(array, raw)) throw std::bad_alloc();
  child.release();
  return raw;
}

void json_append_string(cJSON* array, std::string_view value) {
  json_append(array, checked(cJSON_CreateString(std::string(value).c_str())));
}

}  // namespace otr
