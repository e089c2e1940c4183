/** The dev host's console output: one line per record, levels as the Functions host names them. */
export type LogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';

const order: Record<LogLevel, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  none: 6,
};

export interface LogRecord {
  level: LogLevel;
  category: string;
  message: string;
}

export class Logger {
  constructor(
    private readonly minLevel: LogLevel = 'information',
    private readonly sink: (record: LogRecord) => void = writeToConsole,
  ) {}

  log(level: LogLevel, category: string, message: string): void {
    if (order[level] < order[this.minLevel] || level === 'none') return;
    this.sink({ level, category, message });
  }
  info(category: string, message: string): void {
    this.log('information', category, message);
  }
  warn(category: string, message: string): void {
    this.log('warning', category, message);
  }
  error(category: string, message: string): void {
    this.log('error', category, message);
  }
  debug(category: string, message: string): void {
    this.log('debug', category, message);
  }
}

export function parseLogLevel(value: string | undefined, fallback: LogLevel): LogLevel {
  const v = value?.toLowerCase();
  if (v === 'info') return 'information';
  if (v === 'warn') return 'warning';
  return v && v in order ? (v as LogLevel) : fallback;
}

function writeToConsole(record: LogRecord): void {
  const line = `[${new Date().toISOString()}] ${record.level.padEnd(11)} ${record.category}: ${record.message}`;
  if (order[record.level] >= order.warning) process.stderr.write(line + '\n');
  else process.stdout.write(line + '\n');
}
