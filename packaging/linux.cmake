# Linux: desktop integration (freedesktop.org), man pages, Debian's per-package documents,
# and the server's systemd service. Every destination is relative to the install prefix
# (GNUInstallDirs) except the service's, which only the .deb carries (see below).
# Included by packaging/CMakeLists.txt, in its scope: PARENT_SCOPE reaches the top level's
# configure summary.

set(_linux ${CMAKE_CURRENT_SOURCE_DIR}/linux)
set(_generated ${CMAKE_CURRENT_BINARY_DIR}/generated)
file(MAKE_DIRECTORY ${_generated})

# --- The editor's desktop integration -------------------------------------------------------

install(FILES ${_linux}/constellate.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications COMPONENT editor)
install(FILES ${_linux}/constellate.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo COMPONENT editor)
# The MIME type of .constellate files (glob and magic bytes), for file managers and dialogs.
install(FILES ${_linux}/constellate-mime.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/mime/packages
        RENAME constellate.xml COMPONENT editor)

# Icons: the SVG, and PNG sizes rendered from it at build time when rsvg-convert (Debian:
# librsvg2-bin) is there; desktops that have only the SVG scale it.
set(_icon_svg ${PROJECT_SOURCE_DIR}/resources/icons/constellate.svg)
set(_icons ${CMAKE_INSTALL_DATADIR}/icons/hicolor)
install(FILES ${_icon_svg} DESTINATION ${_icons}/scalable/apps COMPONENT editor)
install(FILES ${_icon_svg} DESTINATION ${_icons}/scalable/mimetypes RENAME application-x-constellate.svg
        COMPONENT editor)
find_program(CONSTELLATE_RSVG_CONVERT rsvg-convert)
mark_as_advanced(CONSTELLATE_RSVG_CONVERT)
set(_pngs)
if(CONSTELLATE_RSVG_CONVERT)
    foreach(size IN ITEMS 16 22 24 32 48 64 128 256)
        set(png ${_generated}/icons/${size}/constellate.png)
        add_custom_command(OUTPUT ${png}
            COMMAND ${CMAKE_COMMAND} -E make_directory ${_generated}/icons/${size}
            COMMAND ${CONSTELLATE_RSVG_CONVERT} --width ${size} --height ${size} --output ${png} ${_icon_svg}
            DEPENDS ${_icon_svg}
            COMMENT "Rendering the ${size}x${size} icon"
            VERBATIM)
        list(APPEND _pngs ${png})
        install(FILES ${png} DESTINATION ${_icons}/${size}x${size}/apps COMPONENT editor)
    endforeach()
    set(CONSTELLATE_PNG_ICONS "rendered with ${CONSTELLATE_RSVG_CONVERT}" PARENT_SCOPE)
else()
    set(CONSTELLATE_PNG_ICONS "none (no rsvg-convert: install librsvg2-bin); the SVG only" PARENT_SCOPE)
endif()

# --- Man pages and Debian's per-package documents, compressed as lintian wants them ---------

# gzip -9n: no file name or time stamp in the header, so that builds are reproducible.
find_program(CONSTELLATE_GZIP gzip REQUIRED)
mark_as_advanced(CONSTELLATE_GZIP)
function(constellate_gzip source output)
    add_custom_command(OUTPUT ${output}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${_generated}
        COMMAND ${CONSTELLATE_GZIP} -9n --stdout ${source} > ${output}
        DEPENDS ${source}
        COMMENT "Compressing ${output}")
endfunction()

set(_compressed)
foreach(component IN LISTS CONSTELLATE_COMPONENTS)
    set(program ${CONSTELLATE_PACKAGE_${component}}) # each package is named after its program
    # The man page's header names the version (@PROJECT_VERSION@).
    configure_file(${CMAKE_CURRENT_SOURCE_DIR}/man/${program}.1 ${_generated}/${program}.1 @ONLY)
    constellate_gzip(${_generated}/${program}.1 ${_generated}/${program}.1.gz)
    install(FILES ${_generated}/${program}.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT ${component})
    list(APPEND _compressed ${_generated}/${program}.1.gz)

    # Debian wants a copyright file and a changelog in /usr/share/doc/PACKAGE of every package.
    set(doc ${CMAKE_INSTALL_DATAROOTDIR}/doc/${CONSTELLATE_PACKAGE_${component}})
    install(FILES ${_linux}/copyright DESTINATION ${doc} COMPONENT ${component})
    install(FILES ${_generated}/changelog.gz DESTINATION ${doc} COMPONENT ${component})
endforeach()
constellate_gzip(${_linux}/changelog ${_generated}/changelog.gz)
list(APPEND _compressed ${_generated}/changelog.gz)

# The changelog's latest entry names the version being packaged.
file(STRINGS ${_linux}/changelog _changelog_top LIMIT_COUNT 1)
if(NOT _changelog_top MATCHES "^constellate \\(${PROJECT_VERSION}\\) ")
    message(FATAL_ERROR "packaging/linux/changelog starts with '${_changelog_top}': add an entry for "
                        "${PROJECT_VERSION} (the version in CMakeLists.txt)")
endif()

# So does the AppStream metainfo's list of releases.
file(READ ${_linux}/constellate.metainfo.xml _metainfo)
if(NOT _metainfo MATCHES "<release version=\"${PROJECT_VERSION}\"")
    message(FATAL_ERROR "packaging/linux/constellate.metainfo.xml has no <release version=\"${PROJECT_VERSION}\">: "
                        "add the release (the version in CMakeLists.txt)")
endif()

add_custom_target(constellate_packaging_files ALL DEPENDS ${_pngs} ${_compressed})

# --- The server as a systemd service (the .deb only) ----------------------------------------
#
# These files name absolute paths (/usr/bin/constellate-server, /etc/default/...), so they
# fit only the .deb's layout (prefix /usr): EXCLUDE_FROM_ALL keeps them out of a plain
# `cmake --install` and the .tar.gz; CPack's per-component .deb build installs them.

set(CONSTELLATE_DEB_PREFIX /usr)
set(CONSTELLATE_SERVER_BINARY ${CONSTELLATE_DEB_PREFIX}/${CMAKE_INSTALL_BINDIR}/constellate-server)
configure_file(${_linux}/constellate-server.service.in ${_generated}/constellate-server.service @ONLY)
install(FILES ${_generated}/constellate-server.service DESTINATION lib/systemd/system
        COMPONENT server EXCLUDE_FROM_ALL)
install(FILES ${_linux}/constellate-server.default DESTINATION /etc/default RENAME constellate-server
        COMPONENT server EXCLUDE_FROM_ALL)

# dpkg's control files of the server package: the user and the service are set up by its
# maintainer scripts; /etc/default/constellate-server is a conffile (kept on upgrades when
# edited, removed on purge).
file(WRITE ${_generated}/conffiles "/etc/default/constellate-server\n")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${_linux}/server/postinst ${_linux}/server/prerm ${_linux}/server/postrm ${_generated}/conffiles)
# Read by cpack-generators.cmake, which sets the .deb's prefix to it.
set(CPACK_CONSTELLATE_DEB_PREFIX ${CONSTELLATE_DEB_PREFIX})
