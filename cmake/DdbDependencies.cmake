# Every dependency is a Debian 12 package; nothing is downloaded.
#   libboost1.81-dev libssl-dev libsimdjson-dev libsodium-dev catch2 pkg-config
find_package(Boost 1.81 REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)
find_package(simdjson REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(sodium REQUIRED IMPORTED_TARGET libsodium)

# simdjson as ddb compiles it: without its exceptions. A simdjson_result
# converted implicitly (`if (v.is_null())`, `bool b = v.get_bool()`) throws
# simdjson_error on malformed input, which would escape a completion handler;
# with SIMDJSON_EXCEPTIONS=0 those conversions do not exist, so every result
# must be checked and each bad document becomes a ddb::error.
add_library(ddb_simdjson INTERFACE)
target_link_libraries(ddb_simdjson INTERFACE simdjson::simdjson)
target_compile_definitions(ddb_simdjson INTERFACE SIMDJSON_EXCEPTIONS=0)
