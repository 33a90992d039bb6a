#pragma once

// Shared by the VR tests: this process's OpenXR loader pointed at our test runtime
// (tests/xr/testruntime), with Khronos' core validation layer, a script the test writes
// and the record the runtime writes, all in a temporary directory.

#include "eventloopwait.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtGlobal>

#include <gtest/gtest.h>

#include <dlfcn.h>
#include <link.h>

#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace constellate::xr::test {

using constellate::test::waitFor;

/// One line of the runtime's record: "event key=value key=value ...".
struct RecordLine {
    std::string event;
    std::map<std::string, std::string> fields;
    std::string text;

    bool has(const std::string& key) const { return fields.count(key) != 0; }
    std::string operator[](const std::string& key) const
    {
        const auto it = fields.find(key);
        return it == fields.end() ? std::string() : it->second;
    }
};

/// Keeps Mesa's DRI driver (swrast_dri.so under Xvfb) loaded until the process ends. Mesa
/// unloads it when the last GL user goes, and its process-lifetime allocations (made when
/// a context is first current on another thread, as the XR thread's is) then stand in
/// LeakSanitizer's report under no module, so tests/lsan.supp's rule for the driver cannot
/// name them. Call with a GL context made.
inline void pinGlDriver()
{
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void*) {
            const std::string name = info->dlpi_name ? info->dlpi_name : "";
            if (name.size() > 7 && name.compare(name.size() - 7, 7, "_dri.so") == 0)
                dlopen(name.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
            return 0;
        },
        nullptr);
}

/// Selects the test runtime for this process while it lives (environment variables the
/// loader and the runtime read when an instance is created).
class TestRuntime {
public:
    /// `config`: the runtime's options, comma-separated (see testruntime.h, Config).
    explicit TestRuntime(const std::string& config = {})
    {
        EXPECT_TRUE(m_dir.isValid());
        pinGlDriver();
        m_script = m_dir.filePath(QStringLiteral("script.txt"));
        m_record = m_dir.filePath(QStringLiteral("record.txt"));
        m_validationStart = QFileInfo(validationFile()).size();
        QFile(m_script).open(QIODevice::WriteOnly); // empty, so the runtime finds it
        qputenv("XR_RUNTIME_JSON", CONSTELLATE_XR_TEST_RUNTIME_JSON);
        if (*CONSTELLATE_XR_LAYER_DIR) {
            qputenv("XR_API_LAYER_PATH", CONSTELLATE_XR_LAYER_DIR);
            qputenv("XR_ENABLE_API_LAYERS", "XR_APILAYER_LUNARG_core_validation");
            // What the layer finds goes to a file (it reads these once per process).
            qputenv("XR_CORE_VALIDATION_EXPORT_TYPE", "text");
            qputenv("XR_CORE_VALIDATION_FILE_NAME", validationFile().toUtf8());
        }
        qputenv("CONSTELLATE_XR_TEST_CONFIG", QByteArray::fromStdString(config));
        qputenv("CONSTELLATE_XR_TEST_SCRIPT", m_script.toUtf8());
        qputenv("CONSTELLATE_XR_TEST_RECORD", m_record.toUtf8());
    }
    ~TestRuntime()
    {
        for (const char* name : {"XR_RUNTIME_JSON", "XR_API_LAYER_PATH", "XR_ENABLE_API_LAYERS",
                                 "XR_CORE_VALIDATION_EXPORT_TYPE", "XR_CORE_VALIDATION_FILE_NAME",
                                 "CONSTELLATE_XR_TEST_CONFIG", "CONSTELLATE_XR_TEST_SCRIPT", "CONSTELLATE_XR_TEST_RECORD"})
            qunsetenv(name);
    }
    TestRuntime(const TestRuntime&) = delete;
    TestRuntime& operator=(const TestRuntime&) = delete;

    static bool validationLayer() { return *CONSTELLATE_XR_LAYER_DIR != 0; }

    /// Appends lines to the script ("@N command" waits for frame N; see testruntime.h).
    void script(const std::string& lines)
    {
        QFile f(m_script);
        ASSERT_TRUE(f.open(QIODevice::Append));
        std::string text = lines;
        if (!text.empty() && text.back() != '\n')
            text += '\n';
        f.write(text.data(), qint64(text.size()));
    }

    /// Everything recorded so far.
    std::vector<RecordLine> record() const
    {
        std::vector<RecordLine> lines;
        QFile f(m_record);
        if (!f.open(QIODevice::ReadOnly))
            return lines;
        std::istringstream in(f.readAll().toStdString());
        for (std::string text; std::getline(in, text);) {
            RecordLine line;
            line.text = text;
            std::istringstream words(text);
            words >> line.event;
            for (std::string w; words >> w;) {
                const std::size_t eq = w.find('=');
                if (eq != std::string::npos)
                    line.fields[w.substr(0, eq)] = w.substr(eq + 1);
            }
            lines.push_back(std::move(line));
        }
        return lines;
    }
    /// The recorded lines of one event ("endFrame", "state", ...).
    std::vector<RecordLine> record(const std::string& event) const
    {
        std::vector<RecordLine> out;
        for (RecordLine& l : record())
            if (l.event == event)
                out.push_back(std::move(l));
        return out;
    }
    /// What the core validation layer reported since this runtime was selected (empty: it
    /// found nothing).
    QString validationReport() const
    {
        QFile f(validationFile());
        if (!f.open(QIODevice::ReadOnly) || !f.seek(m_validationStart))
            return {};
        return QString::fromUtf8(f.readAll());
    }
    QString directory() const { return m_dir.path(); }

private:
    /// The layer opens its file once per process and keeps it: one file for all tests.
    static QString validationFile()
    {
        static QTemporaryDir dir;
        return dir.filePath(QStringLiteral("core-validation.txt"));
    }

    QTemporaryDir m_dir;
    QString m_script;
    QString m_record;
    qint64 m_validationStart = 0;
};

} // namespace constellate::xr::test
