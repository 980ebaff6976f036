# The version of the d3dkmt_sim CMake package (d3dkmt_simConfig.cmake), the
# crate's version: tests/packaging.rs checks that it equals Cargo.toml's.
#
# Compatibility is Cargo's (semver), the same rule that sets the library's
# SONAME: a 0.y.z release is compatible with a request for 0.y.w where
# w <= z, and x.y.z (x >= 1) with any x.v.w not newer than itself. A version
# range (CMake 3.19) is satisfied when the version is in it and compatible
# with its lower end.
set(PACKAGE_VERSION "0.1.0")

set(PACKAGE_VERSION_COMPATIBLE FALSE)
set(PACKAGE_VERSION_EXACT FALSE)
if(PACKAGE_FIND_VERSION_RANGE)
  set(_d3dkmt_sim_want "${PACKAGE_FIND_VERSION_MIN}")
else()
  set(_d3dkmt_sim_want "${PACKAGE_FIND_VERSION}")
endif()

if(NOT _d3dkmt_sim_want)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
elseif(NOT PACKAGE_VERSION VERSION_LESS _d3dkmt_sim_want)
  string(REGEX MATCH "^([0-9]+)(\\.([0-9]+))?" _d3dkmt_sim_m "${_d3dkmt_sim_want}")
  set(_d3dkmt_sim_want_major "${CMAKE_MATCH_1}")
  set(_d3dkmt_sim_want_minor "${CMAKE_MATCH_3}")
  if(_d3dkmt_sim_want_minor STREQUAL "")
    set(_d3dkmt_sim_want_minor 0)
  endif()
  string(REGEX MATCH "^([0-9]+)\\.([0-9]+)" _d3dkmt_sim_m "${PACKAGE_VERSION}")
  if(CMAKE_MATCH_1 EQUAL _d3dkmt_sim_want_major
     AND (NOT CMAKE_MATCH_1 EQUAL 0 OR CMAKE_MATCH_2 EQUAL _d3dkmt_sim_want_minor))
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
  endif()
  if(PACKAGE_VERSION VERSION_EQUAL _d3dkmt_sim_want)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()

if(PACKAGE_FIND_VERSION_RANGE AND PACKAGE_VERSION_COMPATIBLE)
  if((PACKAGE_FIND_VERSION_RANGE_MAX STREQUAL "INCLUDE" AND PACKAGE_VERSION VERSION_GREATER PACKAGE_FIND_VERSION_MAX)
     OR (PACKAGE_FIND_VERSION_RANGE_MAX STREQUAL "EXCLUDE" AND NOT PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION_MAX))
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
  endif()
endif()

unset(_d3dkmt_sim_want)
unset(_d3dkmt_sim_want_major)
unset(_d3dkmt_sim_want_minor)
unset(_d3dkmt_sim_m)
