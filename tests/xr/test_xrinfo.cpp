// What the active OpenXR runtime offers, and the exact reasons VR cannot start, through the
// real Khronos loader: our test runtime selected by XR_RUNTIME_JSON (with Khronos' core
// validation layer), a manifest that does not exist, a runtime without a headset, and one
// without OpenGL. Then `constellate --xr-info` as a user runs it, without a display.

#include "instance.h"
#include "runtimeinfo.h"
#include "xrtestsupport.h"

#include <QProcess>
#include <QProcessEnvironment>

#include <gtest/gtest.h>

#include <algorithm>

using namespace constellate::xr;
using constellate::xr::test::TestRuntime;

namespace {

bool hasExtension(const RuntimeInfo& info, const std::string& name, bool used)
{
    return std::any_of(info.extensions.begin(), info.extensions.end(),
                       [&](const RuntimeInfo::Extension& e) { return e.name == name && e.used == used; });
}

struct ProcessRun {
    int exitCode = -1;
    QString out;
    QString err;
};

/// The editor with --xr-info, without DISPLAY or WAYLAND_DISPLAY (it must need neither),
/// with this process's loader settings.
ProcessRun runXrInfo()
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(CONSTELLATE_EDITOR), {QStringLiteral("--xr-info")});
    ProcessRun r;
    if (!p.waitForFinished(60'000))
        return r;
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace

TEST(XrInfo, DescribesTheTestRuntimeThroughTheLoader)
{
    TestRuntime runtime("size=320x288");
    const RuntimeInfo info = RuntimeInfo::probe("test_xrinfo");
    ASSERT_TRUE(info.ready) << info.failure.text();
    EXPECT_EQ(info.runtimeName, "Constellate test runtime");
    EXPECT_EQ(info.runtimeVersion, XR_MAKE_VERSION(0, 1, 0));
    EXPECT_EQ(info.systemName, "Constellate Test HMD");
    EXPECT_EQ(info.vendorId, 0xc0deu);
    EXPECT_TRUE(info.orientationTracking);
    EXPECT_TRUE(info.positionTracking);
    EXPECT_TRUE(hasExtension(info, "XR_KHR_opengl_enable", true));
    EXPECT_TRUE(hasExtension(info, "XR_KHR_composition_layer_depth", true));
    EXPECT_TRUE(hasExtension(info, "XR_EXT_hand_tracking", true));
    EXPECT_TRUE(info.handTracking);
    ASSERT_EQ(info.viewConfigurations.size(), 1u);
    const RuntimeInfo::ViewConfiguration& stereo = info.viewConfigurations[0];
    EXPECT_EQ(stereo.type, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO);
    ASSERT_EQ(stereo.views.size(), 2u);
    EXPECT_EQ(stereo.views[0].recommendedImageRectWidth, 320u);
    EXPECT_EQ(stereo.views[1].recommendedImageRectHeight, 288u);
    ASSERT_EQ(stereo.blendModes.size(), 1u);
    EXPECT_EQ(stereo.blendModes[0], XR_ENVIRONMENT_BLEND_MODE_OPAQUE);

    const std::string text = info.text();
    EXPECT_NE(text.find("Runtime: Constellate test runtime 0.1.0"), std::string::npos) << text;
    EXPECT_NE(text.find("System: Constellate Test HMD"), std::string::npos) << text;
    EXPECT_NE(text.find("XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 2 views"), std::string::npos) << text;
    EXPECT_NE(text.find("320x288 recommended"), std::string::npos) << text;
    EXPECT_NE(text.find("VR: ready"), std::string::npos) << text;

    // The loader negotiated with our library and made the instance the probe asked for.
    const auto negotiated = runtime.record("negotiate");
    ASSERT_FALSE(negotiated.empty());
    EXPECT_EQ(negotiated.back()["interface"], "1");
    const auto created = runtime.record("createInstance");
    ASSERT_EQ(created.size(), 1u);
    EXPECT_EQ(created[0]["application"], "test_xrinfo");
    EXPECT_NE(created[0]["extensions"].find("XR_KHR_opengl_enable"), std::string::npos);
    EXPECT_EQ(runtime.record("destroyInstance").size(), 1u);
    EXPECT_TRUE(runtime.validationReport().isEmpty()) << runtime.validationReport().toStdString();
}

TEST(XrInfo, NoRuntimeIsSaidSo)
{
    TestRuntime runtime;
    qputenv("XR_RUNTIME_JSON", runtime.directory().toUtf8() + "/no-such-runtime.json");
    const RuntimeInfo info = RuntimeInfo::probe();
    EXPECT_FALSE(info.ready);
    EXPECT_FALSE(info.hasRuntime);
    EXPECT_EQ(info.failure.result, XR_ERROR_RUNTIME_UNAVAILABLE);
    EXPECT_NE(info.failure.message.find("No OpenXR runtime"), std::string::npos) << info.failure.message;
    EXPECT_NE(info.failure.text().find("XR_ERROR_RUNTIME_UNAVAILABLE"), std::string::npos);
    EXPECT_NE(info.text().find("VR: not available: No OpenXR runtime"), std::string::npos) << info.text();

    // The session's path says the same.
    Failure failure;
    EXPECT_EQ(Instance::create({}, &failure), nullptr);
    EXPECT_EQ(failure.result, XR_ERROR_RUNTIME_UNAVAILABLE);
}

TEST(XrInfo, NoHeadsetIsSaidSo)
{
    TestRuntime runtime("no-hmd");
    const RuntimeInfo info = RuntimeInfo::probe();
    EXPECT_FALSE(info.ready);
    EXPECT_TRUE(info.hasRuntime);
    EXPECT_FALSE(info.hasSystem);
    EXPECT_EQ(info.runtimeName, "Constellate test runtime");
    EXPECT_EQ(info.failure.result, XR_ERROR_FORM_FACTOR_UNAVAILABLE);
    EXPECT_EQ(info.failure.call, "xrGetSystem");
    EXPECT_NE(info.failure.message.find("No headset is connected"), std::string::npos);
    EXPECT_NE(info.text().find("XR_ERROR_FORM_FACTOR_UNAVAILABLE"), std::string::npos) << info.text();
}

TEST(XrInfo, AMissingExtensionIsNamed)
{
    TestRuntime runtime("no-opengl");
    const RuntimeInfo info = RuntimeInfo::probe();
    EXPECT_FALSE(info.ready);
    EXPECT_TRUE(info.hasSystem); // everything else is still described
    EXPECT_FALSE(hasExtension(info, "XR_KHR_opengl_enable", true));
    EXPECT_EQ(info.failure.result, XR_ERROR_EXTENSION_NOT_PRESENT);
    EXPECT_NE(info.failure.message.find("does not offer XR_KHR_opengl_enable"), std::string::npos)
        << info.failure.message;

    Failure failure;
    EXPECT_EQ(Instance::create({}, &failure), nullptr);
    EXPECT_NE(failure.message.find("XR_KHR_opengl_enable"), std::string::npos);
    // An instance made without it was destroyed again.
    EXPECT_EQ(runtime.record("createInstance").size(), runtime.record("destroyInstance").size());
}

TEST(XrInfo, TheEditorsOptionNeedsNoDisplay)
{
    {
        TestRuntime runtime;
        const ProcessRun r = runXrInfo();
        EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
        EXPECT_TRUE(r.out.contains(QStringLiteral("Runtime: Constellate test runtime"))) << r.out.toStdString();
        EXPECT_TRUE(r.out.contains(QStringLiteral("XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO"))) << r.out.toStdString();
        EXPECT_TRUE(r.out.contains(QStringLiteral("VR: ready"))) << r.out.toStdString();
    }
    {
        TestRuntime runtime;
        qputenv("XR_RUNTIME_JSON", runtime.directory().toUtf8() + "/missing.json");
        const ProcessRun r = runXrInfo();
        EXPECT_EQ(r.exitCode, 1);
        EXPECT_TRUE(r.err.contains(QStringLiteral("constellate: VR is not available: No OpenXR runtime")))
            << r.err.toStdString();
        EXPECT_TRUE(r.err.contains(QStringLiteral("XR_ERROR_RUNTIME_UNAVAILABLE"))) << r.err.toStdString();
    }
    {
        TestRuntime runtime("no-hmd");
        const ProcessRun r = runXrInfo();
        EXPECT_EQ(r.exitCode, 1);
        EXPECT_TRUE(r.out.contains(QStringLiteral("Runtime: Constellate test runtime"))) << r.out.toStdString();
        EXPECT_TRUE(r.err.contains(QStringLiteral("No headset is connected"))) << r.err.toStdString();
    }
}

TEST(XrInfo, TheValidationLayerWatchesTheTests)
{
    if (!TestRuntime::validationLayer())
        GTEST_SKIP() << "Khronos' core validation layer is not installed (openxr-layer-corevalidation)";
    TestRuntime runtime;
    Failure failure;
    std::unique_ptr<Instance> instance = Instance::create({}, &failure);
    ASSERT_NE(instance, nullptr) << failure.text();
    // A misuse the layer must catch (the wrong structure type), so that a clean report in
    // the other tests means something.
    XrSystemGetInfo info {XR_TYPE_INSTANCE_CREATE_INFO};
    info.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
    XrSystemId system = XR_NULL_SYSTEM_ID;
    EXPECT_TRUE(XR_FAILED(xrGetSystem(instance->handle(), &info, &system)));
    instance.reset();
    EXPECT_TRUE(runtime.validationReport().contains(QStringLiteral("VUID-XrSystemGetInfo-type-type")))
        << runtime.validationReport().toStdString();
}
