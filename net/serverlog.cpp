#include "serverlog.h"

#include <QDateTime>

#include <atomic>
#include <cstdio>

namespace constellate::net {

namespace {
std::atomic<int> g_level {int(LogLevel::Info)};
}

bool parseLogLevel(const QString& text, LogLevel* level)
{
    const QString t = text.trimmed().toLower();
    if (t == QLatin1String("error"))
        *level = LogLevel::Error;
    else if (t == QLatin1String("warning") || t == QLatin1String("warn"))
        *level = LogLevel::Warning;
    else if (t == QLatin1String("info"))
        *level = LogLevel::Info;
    else if (t == QLatin1String("debug"))
        *level = LogLevel::Debug;
    else
        return false;
    return true;
}

void setLogLevel(LogLevel level)
{
    g_level = int(level);
}

LogLevel logLevel()
{
    return LogLevel(g_level.load());
}

void logLine(LogLevel level, const QString& message)
{
    if (int(level) > g_level.load())
        return;
    static const char* names[] = {"error", "warning", "info", "debug"};
    const QByteArray line = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toUtf8() + ' '
        + names[int(level)] + ' ' + message.toUtf8() + '\n';
    std::fwrite(line.constData(), 1, std::size_t(line.size()), stderr);
    std::fflush(stderr);
}

} // namespace constellate::net
