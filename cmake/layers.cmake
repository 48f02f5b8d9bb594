# Helpers that keep each layer's CMakeLists.txt to a few lines.

# aar_layer(NAME DIR <dir> [DEPS <targets>...])
# A static library of every .cpp in <dir> (non-recursive). Headers are included as "core/x.hpp" etc.
function(aar_layer name)
  cmake_parse_arguments(L "" "DIR" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS "${L_DIR}/*.cpp")
  if(sources)
    add_library(${name} STATIC ${sources})
    target_include_directories(${name} PUBLIC "${PROJECT_SOURCE_DIR}/src")
    target_link_libraries(${name} PUBLIC ${L_DEPS})
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE "${PROJECT_SOURCE_DIR}/src")
    target_link_libraries(${name} INTERFACE ${L_DEPS})
  endif()
endfunction()

# aar_test_dir(NAME DIR <dir> [DEPS <targets>...] [LABELS <labels>...])
# One GoogleTest executable of every *_test.cpp in <dir>; each test registered with CTest.
function(aar_test_dir name)
  cmake_parse_arguments(T "" "DIR" "DEPS;LABELS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS "${T_DIR}/*_test.cpp")
  if(NOT sources)
    return()
  endif()
  add_executable(${name} ${sources})
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}/src" "${PROJECT_SOURCE_DIR}/tests")
  target_link_libraries(${name} PRIVATE ${T_DEPS} aar_test_support GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    AAR_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    AAR_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300 LABELS "${T_LABELS}")
endfunction()
