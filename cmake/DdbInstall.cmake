# `cmake --install`: the headers, the static libraries (shared ones with
# -DBUILD_SHARED_LIBS=ON, found by the installed tools and by each other
# through relative run paths, so the install stays relocatable), the `ddb` tools, a
# CMake package (find_package(ddb CONFIG): targets ddb::ddb, ddb::vec,
# ddb::cache, ddb::agent) and pkg-config files (ddb, ddb-vec, ddb-cache,
# ddb-agent). The Asio/Beast separate-compilation definitions travel with
# ddb::asio (a dependency of every ddb target), so a consumer cannot compile
# Asio's implementation a second time by mistake.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(DDB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ddb)
foreach(t ddb ddb_vec ddb_cache ddb_agent)
  target_include_directories(${t} PUBLIC $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()
set_target_properties(ddb_asio PROPERTIES EXPORT_NAME asio)
set_target_properties(ddb_vec PROPERTIES EXPORT_NAME vec)
set_target_properties(ddb_cache PROPERTIES EXPORT_NAME cache)
set_target_properties(ddb_agent PROPERTIES EXPORT_NAME agent)
set_target_properties(ddb_simdjson PROPERTIES EXPORT_NAME simdjson_noexcept)

install(TARGETS ddb_asio ddb ddb_vec ddb_cache ddb_agent ddb_simdjson
  EXPORT ddbTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/ddb DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(EXPORT ddbTargets NAMESPACE ddb:: DESTINATION ${DDB_CMAKE_DIR} COMPONENT dev)

configure_package_config_file(cmake/ddbConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/ddbConfig.cmake
  INSTALL_DESTINATION ${DDB_CMAKE_DIR})
# 0.x: a minor version may break the API, so only the same minor version
# satisfies a request (SameMinorVersion); from 1.0 on, SameMajorVersion.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ddbConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ddbConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/ddbConfigVersion.cmake
  DESTINATION ${DDB_CMAKE_DIR} COMPONENT dev)

# From the pkg-config folder up to the prefix ("../.." for lib/pkgconfig,
# "../../.." for Debian's lib/x86_64-linux-gnu/pkgconfig): a staged or moved
# prefix still works.
file(RELATIVE_PATH DDB_PC_REL "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" DDB_PC_REL "${DDB_PC_REL}")
# Built with io_uring (DDB_IO_URING): consumers must define the same and link liburing.
set(DDB_PC_URING_REQUIRES "")
set(DDB_PC_URING_CFLAGS "")
if(DDB_IO_URING)
  set(DDB_PC_URING_REQUIRES " liburing")
  set(DDB_PC_URING_CFLAGS " -DBOOST_ASIO_HAS_IO_URING -DBOOST_ASIO_DISABLE_EPOLL")
endif()
foreach(pc ddb ddb-vec ddb-cache ddb-agent)
  configure_file(cmake/pkgconfig/${pc}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/pkgconfig/${pc}.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pkgconfig/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endforeach()

if(BUILD_SHARED_LIBS)
  foreach(t ddb ddb_vec ddb_cache ddb_agent)
    set_target_properties(${t} PROPERTIES INSTALL_RPATH "$ORIGIN")
  endforeach()
  if(DDB_BUILD_TOOLS)
    file(RELATIVE_PATH DDB_BIN_TO_LIB "/${CMAKE_INSTALL_BINDIR}" "/${CMAKE_INSTALL_LIBDIR}")
    set_target_properties(ddb_cli ddb_bench_cli ddb_cache_cli ddb_agent_cli PROPERTIES INSTALL_RPATH "$ORIGIN/${DDB_BIN_TO_LIB}")
  endif()
endif()

if(DDB_BUILD_TOOLS)
  install(TARGETS ddb_cli ddb_bench_cli ddb_cache_cli ddb_agent_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tools)
endif()
