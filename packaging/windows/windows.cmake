# Windows, where Quest Link runs: an NSIS installer (and a .zip) made by CPack from an MSVC
# build with Qt 6 and the OpenXR SDK. Included by packaging/CMakeLists.txt when WIN32.
#
# This cannot be built on the project's Linux machines: it is kept small and has been
# reviewed, not run (packaging/README.md, "Windows", says what is known and what is not).
#
# `cpack -G NSIS -C Release` in the build directory gives Constellate-VERSION-win64.exe with
#   bin/constellate.exe, constellate-server.exe, constellate-cli.exe
#   bin/Qt6*.dll and Qt's plugins (platforms/, sqldrivers/, tls/, ...), put there by windeployqt
#   bin/openxr_loader.dll, the Khronos loader from the OpenXR SDK
#   bin/ the MSVC runtime DLLs (InstallRequiredSystemLibraries)
# a Start menu entry for the editor, .constellate files opened by it, and an uninstaller.

set(_windows ${CMAKE_CURRENT_SOURCE_DIR}/windows)

# The editor is a windowed program (no console) with the Constellate icon. Qt's entry point
# library turns WinMain into main().
configure_file(${_windows}/constellate.rc.in ${CMAKE_CURRENT_BINARY_DIR}/constellate.rc @ONLY)
target_sources(constellate PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/constellate.rc)
set_target_properties(constellate PROPERTIES WIN32_EXECUTABLE ON)

# --- What the programs need next to them ---------------------------------------------------

# Qt's DLLs and plugins: windeployqt reads each program's imports and copies what it needs.
# The MSVC runtime comes from InstallRequiredSystemLibraries instead, as plain DLLs.
find_program(CONSTELLATE_WINDEPLOYQT windeployqt HINTS "${QT6_INSTALL_PREFIX}/${QT6_INSTALL_BINS}" REQUIRED)
install(CODE "
    foreach(program IN ITEMS constellate constellate-server constellate-cli)
        execute_process(
            COMMAND \"${CONSTELLATE_WINDEPLOYQT}\" --no-translations --no-compiler-runtime
                    --dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\"
                    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/\${program}.exe\"
            COMMAND_ERROR_IS_FATAL ANY)
    endforeach()
    " COMPONENT editor)

set(CMAKE_INSTALL_SYSTEM_RUNTIME_DESTINATION ${CMAKE_INSTALL_BINDIR})
set(CMAKE_INSTALL_SYSTEM_RUNTIME_COMPONENT editor)
include(InstallRequiredSystemLibraries)

# The OpenXR loader: the SDK's CMake package (OpenXR_DIR) names the DLL.
find_package(OpenXR CONFIG QUIET)
if(TARGET OpenXR::openxr_loader)
    install(IMPORTED_RUNTIME_ARTIFACTS OpenXR::openxr_loader RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
            COMPONENT editor)
else()
    message(WARNING "The OpenXR SDK was not found (set OpenXR_DIR): the installer will lack openxr_loader.dll, "
                    "which the editor's VR mode needs")
endif()

# --- The installer ---------------------------------------------------------------------------

include(${_windows}/nsis.cmake)
