#pragma once

#include <QString>

namespace constellate::net {

/// How much the server says on standard error: one line per join, leave and error at
/// Info; Debug adds per-message detail.
enum class LogLevel { Error = 0, Warning = 1, Info = 2, Debug = 3 };

/// Parses "error", "warning" (or "warn"), "info", "debug". False for anything else.
bool parseLogLevel(const QString& text, LogLevel* level);
void setLogLevel(LogLevel level);
LogLevel logLevel();

/// One line: an ISO-8601 UTC time, the level, the message.
void logLine(LogLevel level, const QString& message);
inline void logError(const QString& m) { logLine(LogLevel::Error, m); }
inline void logWarning(const QString& m) { logLine(LogLevel::Warning, m); }
inline void logInfo(const QString& m) { logLine(LogLevel::Info, m); }
inline void logDebug(const QString& m) { logLine(LogLevel::Debug, m); }

} // namespace constellate::net
