# Every dependency is a Debian 12 package; nothing is downloaded.
#   libboost1.81-dev libssl-dev libsimdjson-dev libsodium-dev catch2 pkg-config
find_package(Boost 1.81 REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)
find_package(simdjson REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(sodium REQUIRED IMPORTED_TARGET libsodium)
