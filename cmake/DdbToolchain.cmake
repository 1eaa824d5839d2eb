# Compiler settings shared by every target of the project.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)

# RelWithDebInfo (the default) keeps line tables only (-g1): enough for
# profilers and backtraces, and a third less compile time than full -g on
# this template-heavy code. Debug builds keep full debug information.
# Only for ddb's own builds: as a subproject it leaves the cache alone.
if(PROJECT_IS_TOP_LEVEL AND CMAKE_CXX_FLAGS_RELWITHDEBINFO STREQUAL "-O2 -g -DNDEBUG")
  set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O2 -g1 -DNDEBUG" CACHE STRING "Flags for RelWithDebInfo builds" FORCE)
endif()

find_program(DDB_CCACHE ccache)
if(DDB_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${DDB_CCACHE})
endif()

# Every function and object in its own section, and the linker keeps only
# what is reachable: a smaller tool (the `ddb` binary drops about a third), and
# fewer of its pages mapped in by the kernel's fault-around (64 KB windows)
# while it runs, which is most of its resident memory.
add_compile_options(-ffunction-sections -fdata-sections)
add_link_options(-Wl,--gc-sections)

if(DDB_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang 14's -fsanitize=function (part of "undefined" for C++) cannot
    # assemble the transport's coroutines with -ffunction-sections ("Cannot
    # represent a difference across sections").
    add_compile_options(-fno-sanitize=function)
  endif()
endif()
if(DDB_TSAN)
  if(DDB_SANITIZE)
    message(FATAL_ERROR "DDB_TSAN and DDB_SANITIZE cannot be combined: ThreadSanitizer excludes AddressSanitizer")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

function(ddb_set_warnings target)
  # Aggregates are built with their defaulted members left out on purpose
  # (designated initializers, `driver{c, start, n}`): not a mistake to flag.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
  # Known false positives of GCC 12: Asio's coroutine frame allocator (aligned
  # new, sized delete) seen as mismatched, and at -O3 libstdc++'s own string and
  # vector code seen as overlapping or over-reading (GCC PRs 105329, 105651).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete -Wno-restrict -Wno-stringop-overread)
  endif()
endfunction()
