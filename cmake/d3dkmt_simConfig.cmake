# The CMake package of libd3dkmt_sim. `cargo cinstall` (cargo-c; Cargo.toml's
# [package.metadata.capi.install.data]) installs it, with
# d3dkmt_simConfigVersion.cmake, as
#
#     <prefix>/share/d3dkmt_sim/cmake/d3dkmt_simConfig.cmake
#
# which is on find_package's search path for <prefix> (CMAKE_PREFIX_PATH, or
# a system prefix such as /usr/local). Use:
#
#     find_package(d3dkmt_sim 0.1 CONFIG REQUIRED)
#     target_link_libraries(app PRIVATE d3dkmt_sim::d3dkmt_sim)  # shared
#     target_link_libraries(app PRIVATE d3dkmt_sim::static)      # static
#
# Imported targets (each defined when its library file is installed; ask for
# one with COMPONENTS shared / static to make it required):
#
#   d3dkmt_sim::d3dkmt_sim  libd3dkmt_sim.so (.dylib; .dll with its import
#                           library on Windows)
#   d3dkmt_sim::static      libd3dkmt_sim.a (d3dkmt_sim.lib with MSVC), with
#                           the native libraries the Rust runtime needs as
#                           its link interface, read from the installed
#                           d3dkmt_sim.pc (Libs.private), which cargo-c
#                           writes for the toolchain that built the library
#
# Both carry the include directory holding d3dkmt_sim.h. Every path is
# derived from this file's location, so an installed tree can be moved:
# the prefix is three levels up, the header in <prefix>/include, and the
# library in <prefix>/lib/<multiarch triplet>, <prefix>/lib64 or
# <prefix>/lib (the first that holds it: whatever --libdir was given to
# cargo cinstall, cargo-c's Debian default lib/<triplet> included).

if(CMAKE_VERSION VERSION_LESS 3.12)
  set(d3dkmt_sim_FOUND FALSE)
  set(d3dkmt_sim_NOT_FOUND_MESSAGE "the d3dkmt_sim package needs CMake 3.12 or newer")
  return()
endif()

if(TARGET d3dkmt_sim::d3dkmt_sim OR TARGET d3dkmt_sim::static)
  set(d3dkmt_sim_FOUND TRUE)
  return()
endif()

get_filename_component(_d3dkmt_sim_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(_d3dkmt_sim_include "${_d3dkmt_sim_prefix}/include")

if(WIN32)
  if(MSVC)
    set(_d3dkmt_sim_static_name "d3dkmt_sim.lib")
    set(_d3dkmt_sim_implib_name "d3dkmt_sim.dll.lib")
  else()
    set(_d3dkmt_sim_static_name "libd3dkmt_sim.a")
    set(_d3dkmt_sim_implib_name "d3dkmt_sim.dll.a")
  endif()
  set(_d3dkmt_sim_shared_name "${_d3dkmt_sim_implib_name}")
elseif(APPLE)
  set(_d3dkmt_sim_static_name "libd3dkmt_sim.a")
  set(_d3dkmt_sim_shared_name "libd3dkmt_sim.dylib")
else()
  set(_d3dkmt_sim_static_name "libd3dkmt_sim.a")
  set(_d3dkmt_sim_shared_name "libd3dkmt_sim.so")
endif()

set(_d3dkmt_sim_libdir "")
set(_d3dkmt_sim_candidates "")
if(CMAKE_LIBRARY_ARCHITECTURE)
  list(APPEND _d3dkmt_sim_candidates "${_d3dkmt_sim_prefix}/lib/${CMAKE_LIBRARY_ARCHITECTURE}")
endif()
list(APPEND _d3dkmt_sim_candidates "${_d3dkmt_sim_prefix}/lib64" "${_d3dkmt_sim_prefix}/lib")
foreach(_d3dkmt_sim_dir IN LISTS _d3dkmt_sim_candidates)
  if(EXISTS "${_d3dkmt_sim_dir}/${_d3dkmt_sim_shared_name}" OR EXISTS "${_d3dkmt_sim_dir}/${_d3dkmt_sim_static_name}")
    set(_d3dkmt_sim_libdir "${_d3dkmt_sim_dir}")
    break()
  endif()
endforeach()

set(d3dkmt_sim_shared_FOUND FALSE)
set(d3dkmt_sim_static_FOUND FALSE)
set(d3dkmt_sim_FOUND TRUE)
if(NOT EXISTS "${_d3dkmt_sim_include}/d3dkmt_sim.h")
  set(d3dkmt_sim_FOUND FALSE)
  set(d3dkmt_sim_NOT_FOUND_MESSAGE "d3dkmt_sim.h is not in ${_d3dkmt_sim_include}")
elseif(NOT _d3dkmt_sim_libdir)
  set(d3dkmt_sim_FOUND FALSE)
  set(d3dkmt_sim_NOT_FOUND_MESSAGE
      "neither ${_d3dkmt_sim_shared_name} nor ${_d3dkmt_sim_static_name} is in any of ${_d3dkmt_sim_candidates}")
endif()

if(d3dkmt_sim_FOUND AND EXISTS "${_d3dkmt_sim_libdir}/${_d3dkmt_sim_shared_name}")
  add_library(d3dkmt_sim::d3dkmt_sim SHARED IMPORTED)
  set_target_properties(d3dkmt_sim::d3dkmt_sim PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_d3dkmt_sim_include}")
  if(WIN32)
    # cargo-c puts the DLL in <prefix>/bin and its import library in libdir.
    set_target_properties(d3dkmt_sim::d3dkmt_sim PROPERTIES
      IMPORTED_IMPLIB "${_d3dkmt_sim_libdir}/${_d3dkmt_sim_implib_name}"
      IMPORTED_LOCATION "${_d3dkmt_sim_prefix}/bin/d3dkmt_sim.dll")
  else()
    # libd3dkmt_sim.so is cargo-c's link to the versioned file, whose SONAME
    # (libd3dkmt_sim.so.<major, or 0.minor>) is what a program records.
    get_filename_component(_d3dkmt_sim_real "${_d3dkmt_sim_libdir}/${_d3dkmt_sim_shared_name}" REALPATH)
    set_target_properties(d3dkmt_sim::d3dkmt_sim PROPERTIES IMPORTED_LOCATION "${_d3dkmt_sim_real}")
  endif()
  set(d3dkmt_sim_shared_FOUND TRUE)
endif()

if(d3dkmt_sim_FOUND AND EXISTS "${_d3dkmt_sim_libdir}/${_d3dkmt_sim_static_name}")
  set(_d3dkmt_sim_native "")
  set(_d3dkmt_sim_pc "${_d3dkmt_sim_libdir}/pkgconfig/d3dkmt_sim.pc")
  if(EXISTS "${_d3dkmt_sim_pc}")
    file(STRINGS "${_d3dkmt_sim_pc}" _d3dkmt_sim_private REGEX "^Libs\\.private:")
    string(REGEX REPLACE "^Libs\\.private:[ \t]*" "" _d3dkmt_sim_private "${_d3dkmt_sim_private}")
    separate_arguments(_d3dkmt_sim_native UNIX_COMMAND "${_d3dkmt_sim_private}")
    if(MSVC)
      # cargo-c writes MSVC's system libraries as -lname.
      list(TRANSFORM _d3dkmt_sim_native REPLACE "^-l(.*)$" "\\1.lib")
    endif()
  else()
    message(WARNING "d3dkmt_sim: ${_d3dkmt_sim_pc} is missing: d3dkmt_sim::static lacks the native "
                    "libraries the Rust runtime needs (see `pkg-config --static --libs d3dkmt_sim`)")
  endif()
  add_library(d3dkmt_sim::static STATIC IMPORTED)
  set_target_properties(d3dkmt_sim::static PROPERTIES
    IMPORTED_LOCATION "${_d3dkmt_sim_libdir}/${_d3dkmt_sim_static_name}"
    IMPORTED_LINK_INTERFACE_LANGUAGES "C"
    INTERFACE_INCLUDE_DIRECTORIES "${_d3dkmt_sim_include}"
    INTERFACE_LINK_LIBRARIES "${_d3dkmt_sim_native}")
  set(d3dkmt_sim_static_FOUND TRUE)
endif()

if(d3dkmt_sim_FOUND)
  foreach(_d3dkmt_sim_c IN LISTS d3dkmt_sim_FIND_COMPONENTS)
    if(NOT _d3dkmt_sim_c MATCHES "^(shared|static)$")
      set(d3dkmt_sim_FOUND FALSE)
      set(d3dkmt_sim_NOT_FOUND_MESSAGE "unknown component ${_d3dkmt_sim_c} (the components are shared and static)")
    elseif(d3dkmt_sim_FIND_REQUIRED_${_d3dkmt_sim_c} AND NOT d3dkmt_sim_${_d3dkmt_sim_c}_FOUND)
      set(d3dkmt_sim_FOUND FALSE)
      set(d3dkmt_sim_NOT_FOUND_MESSAGE "the ${_d3dkmt_sim_c} library is not installed in ${_d3dkmt_sim_libdir}")
    endif()
  endforeach()
endif()

unset(_d3dkmt_sim_prefix)
unset(_d3dkmt_sim_include)
unset(_d3dkmt_sim_static_name)
unset(_d3dkmt_sim_shared_name)
unset(_d3dkmt_sim_implib_name)
unset(_d3dkmt_sim_libdir)
unset(_d3dkmt_sim_candidates)
unset(_d3dkmt_sim_dir)
unset(_d3dkmt_sim_real)
unset(_d3dkmt_sim_native)
unset(_d3dkmt_sim_pc)
unset(_d3dkmt_sim_private)
unset(_d3dkmt_sim_c)
