# The house (README, "Layout"): every folder of src/ is a room, and a room
# sees only the rooms it may use. Each room gets an include root of its own,
# <build>/rooms/<room>/, holding links to its own folder and to the folders it
# USES and to no others, so `#include "transport/transport.hpp"` in a room that
# may not use the transport is a compile error ("No such file"). FORBID asio
# puts a header in that root that stops every Asio and Beast header with an
# #error: the sans-io rooms cannot reach a socket, even through a public header.
#
#   ddb_room_root(<room> USES <room>... [FORBID asio])  -> ${DDB_ROOM_ROOT}
#   ddb_room(<room> SOURCES <file>... USES <room>... [FORBID asio] [LINKS <target>...])
#     an object library ddb_room_<room>, compiled into a library by its caller
function(ddb_room_root room)
  cmake_parse_arguments(R "" "" "USES;FORBID" ${ARGN})
  set(root ${PROJECT_BINARY_DIR}/rooms/${room})
  file(MAKE_DIRECTORY ${root})
  file(GLOB old LIST_DIRECTORIES true ${root}/*)
  foreach(o ${old})
    if(IS_SYMLINK ${o})
      file(REMOVE ${o})  # the link, not what it points at
    endif()
  endforeach()
  file(REMOVE_RECURSE ${root}/boost)
  foreach(r ${room} ${R_USES})
    if(NOT IS_DIRECTORY ${PROJECT_SOURCE_DIR}/src/${r})
      message(FATAL_ERROR "room ${room} uses ${r}, which is no folder of src/")
    endif()
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${r} ${root}/${r} SYMBOLIC)
  endforeach()
  if("asio" IN_LIST R_FORBID)
    set(why "#error \"src/${room} is sans-io: no Asio or Beast here (the house: README, Layout)\"\n")
    file(WRITE ${root}/boost/asio/detail/config.hpp ${why})
    file(WRITE ${root}/boost/beast/core/detail/config.hpp ${why})
  endif()
  set(DDB_ROOM_ROOT ${root} PARENT_SCOPE)
endfunction()

function(ddb_room room)
  cmake_parse_arguments(R "" "" "SOURCES;USES;FORBID;LINKS" ${ARGN})
  ddb_room_root(${room} USES ${R_USES} FORBID ${R_FORBID})
  add_library(ddb_room_${room} OBJECT ${R_SOURCES})
  target_include_directories(ddb_room_${room} PRIVATE ${PROJECT_SOURCE_DIR}/include ${DDB_ROOM_ROOT})
  target_link_libraries(ddb_room_${room} PRIVATE ${R_LINKS})
  target_compile_features(ddb_room_${room} PRIVATE cxx_std_20)
  if(BUILD_SHARED_LIBS)
    set_target_properties(ddb_room_${room} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  endif()
  ddb_set_warnings(ddb_room_${room})
endfunction()
