# The NSIS installer's settings (included by windows.cmake). Apart from the rest so that
# makensis, which Debian has, can compile an installer with them on Linux: see
# packaging/README.md, "Windows".

set(CPACK_PACKAGE_FILE_NAME "Constellate-${PROJECT_VERSION}-win64")
set(CPACK_NSIS_PACKAGE_NAME "Constellate")
set(CPACK_NSIS_DISPLAY_NAME "Constellate ${PROJECT_VERSION}")
set(CPACK_NSIS_MUI_ICON "${PROJECT_SOURCE_DIR}/resources/icons/constellate.ico")
set(CPACK_NSIS_MUI_UNIICON "${PROJECT_SOURCE_DIR}/resources/icons/constellate.ico")
set(CPACK_NSIS_INSTALLED_ICON_NAME "bin\\constellate.exe")
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
# Offers to put bin\ on PATH, for constellate-cli and constellate-server in a terminal.
set(CPACK_NSIS_MODIFY_PATH ON)
# A Start menu entry for the editor (bin\constellate.exe).
set(CPACK_PACKAGE_EXECUTABLES constellate Constellate)
set(CPACK_NSIS_EXECUTABLES_DIRECTORY bin)
# .constellate files open in the editor. SHCTX is HKLM for an install for all users, HKCU
# otherwise; the shell is told that associations changed.
set(CPACK_NSIS_EXTRA_INSTALL_COMMANDS [[
  WriteRegStr SHCTX 'Software\Classes\.constellate' '' 'Constellate.Graph'
  WriteRegStr SHCTX 'Software\Classes\Constellate.Graph' '' 'Constellate graph'
  WriteRegStr SHCTX 'Software\Classes\Constellate.Graph\DefaultIcon' '' '"$INSTDIR\bin\constellate.exe",0'
  WriteRegStr SHCTX 'Software\Classes\Constellate.Graph\shell\open\command' '' '"$INSTDIR\bin\constellate.exe" "%1"'
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
]])
set(CPACK_NSIS_EXTRA_UNINSTALL_COMMANDS [[
  DeleteRegKey SHCTX 'Software\Classes\Constellate.Graph'
  ReadRegStr $0 SHCTX 'Software\Classes\.constellate' ''
  StrCmp $0 'Constellate.Graph' 0 +2
    DeleteRegKey SHCTX 'Software\Classes\.constellate'
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
]])
