# unit_libvtl: libvtl against a scripted fake vtld. include()d by
# tests/CMakeLists.txt; needs the vtl_static target (libvtl/).
find_package(Threads REQUIRED)
add_executable(unit_libvtl
  ${CMAKE_CURRENT_LIST_DIR}/unit_libvtl.c
  ${CMAKE_CURRENT_LIST_DIR}/unit_libvtl_local.c
  ${CMAKE_CURRENT_LIST_DIR}/unit_libvtl_duplex.c
  ${CMAKE_CURRENT_LIST_DIR}/unit_libvtl_fake.c)
target_link_libraries(unit_libvtl PRIVATE vtl_static Threads::Threads)
add_test(NAME unit_libvtl COMMAND unit_libvtl)
set_tests_properties(unit_libvtl PROPERTIES TIMEOUT 120 LABELS unit)
