# Helpers shared by every component's CMakeLists.txt.

# berth_add_library(NAME SOURCES... [DEPS targets...])
# A static library for one component; include paths are rooted at src/ so that
# headers are included as "common/error.h", "runtime/spec/spec.h", ...
function(berth_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# berth_add_test(NAME SOURCES... DEPS... LABELS unit|userns|root|compat [TIMEOUT s])
# One GoogleTest binary, registered with ctest under the given labels.
function(berth_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT BERTH_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  # `berth_unit_tests` builds every unit test and nothing else (the sanitizer builds).
  if("unit" IN_LIST ARG_LABELS)
    if(NOT TARGET berth_unit_tests)
      add_custom_target(berth_unit_tests)
    endif()
    add_dependencies(berth_unit_tests ${name})
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "BERTH_BUILD_DIR=${PROJECT_BINARY_DIR};BERTH_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# berth_static_or_shared(VAR SHARED <link items> STATIC <names>)
# Link items for a dependency: its archives (lib<name>.a) for a consumer whose
# BERTH_STATIC_DEPS property is on (berth and berthd: fewer shared objects to map and
# relocate at every start, fewer pages resident in an idle daemon) and the shared items
# for everything else (tests, sanitizer builds). Shared for all when an archive is missing.
function(berth_static_or_shared var)
  cmake_parse_arguments(ARG "" "" "SHARED;STATIC" ${ARGN})
  set(archives)
  foreach(name ${ARG_STATIC})
    find_library(BERTH_ARCHIVE_${name} NAMES lib${name}.a)
    if(NOT BERTH_ARCHIVE_${name})
      message(STATUS "lib${name}.a not found: linking ${ARG_SHARED} as shared libraries")
      set(${var} ${ARG_SHARED} PARENT_SCOPE)
      return()
    endif()
    list(APPEND archives ${BERTH_ARCHIVE_${name}})
  endforeach()
  set(on "$<BOOL:$<TARGET_PROPERTY:BERTH_STATIC_DEPS>>")
  set(${var} "$<${on}:${archives}>" "$<$<NOT:${on}>:${ARG_SHARED}>" PARENT_SCOPE)
endfunction()
