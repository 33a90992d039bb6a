# Read by cpack once per generator (CPACK_PROJECT_CONFIG_FILE): the settings that differ
# between the .deb packages, the archives and the Windows installer. Only CPACK_* variables
# from CPackConfig.cmake are known here.

if(CPACK_GENERATOR STREQUAL "DEB")
    # The systemd unit names /usr/bin/constellate-server: the prefix must be this one.
    set(CPACK_PACKAGING_INSTALL_PREFIX "${CPACK_CONSTELLATE_DEB_PREFIX}")
    # Each package's description starts with its own synopsis; CPack would put the project's
    # summary before it unless the summary is CPack's default.
    set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CPACK_DEFAULT_PACKAGE_DESCRIPTION_SUMMARY}")
elseif(CPACK_GENERATOR MATCHES "^(TGZ|ZIP|NSIS)$")
    # One archive or installer with all three programs: the Qt DLLs that windeployqt adds
    # serve them all, so the programs are not offered one by one.
    set(CPACK_MONOLITHIC_INSTALL ON)
endif()
