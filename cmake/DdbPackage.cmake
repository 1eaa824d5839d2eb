# `cpack -G DEB` (in the build folder): one Debian package, ddb, with the
# static libraries, headers, CMake package, pkg-config files and the tools,
# depending on the Debian 12 packages a consumer builds against (the -dev
# packages: the libraries are static) and the tools run with.
set(CPACK_PACKAGE_NAME ddb)
set(CPACK_PACKAGE_VENDOR "ddb")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "asynchronous DynamoDB client for C++20 (Boost.Asio), with its tools")
set(CPACK_PACKAGE_CONTACT "ddb maintainers <ddb@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)  # the tools stripped (install/strip leaves static libraries alone)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "libboost1.81-dev, libssl-dev (>= 3), libsimdjson-dev (>= 3.0), libsodium-dev, zlib1g-dev, pkg-config, libssl3, libsodium23, libsimdjson14, zlib1g")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "asynchronous DynamoDB client for C++20 on Boost.Asio
 ddb is a C++20 DynamoDB client (hand-written SigV4, pooled and pipelined
 HTTP/1.1 with TLS, the AWS retry rules and credential chain), an AVX2
 embedding scorer, a semantic cache and agent state on DynamoDB, as static
 libraries with a CMake package (find_package(ddb)) and pkg-config files, plus
 the ddb command-line tool.")
include(CPack)
