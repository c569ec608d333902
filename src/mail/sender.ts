/** Outgoing account mail (confirmation codes), behind one small interface so tests and operators pick the transport. */
import type { Logger } from 'pino';
import nodemailer, { type Transporter } from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface MailSender {
  send(msg: MailMessage): Promise<void>;
  close(): void;
}

/** Without SMTP the message goes to the server log, so a single-box operator can still confirm accounts. */
export class LogMailSender implements MailSender {
  constructor(private readonly logger: Logger) {}
  async send(msg: MailMessage): Promise<void> {
    this.logger.info({ mail: msg }, `mail to ${msg.to}: ${msg.subject}`);
  }
  close(): void {
    /* nothing held */
  }
}

export interface SmtpOptions {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  pass?: string;
  from: string;
}

export class SmtpMailSender implements MailSender {
  private readonly transport: Transporter;
  constructor(private readonly opts: SmtpOptions) {
    this.transport = nodemailer.createTransport({
      host: opts.host,
      port: opts.port,
      secure: opts.secure,
      ...(opts.user ? { auth: { user: opts.user, pass: opts.pass ?? '' } } : {}),
    });
  }
  async send(msg: MailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.opts.from, to: msg.to, subject: msg.subject, text: msg.text });
  }
  close(): void {
    this.transport.close();
  }
}

export function createMailSender(smtp: SmtpOptions | undefined, logger: Logger): MailSender {
  return smtp ? new SmtpMailSender(smtp) : new LogMailSender(logger);
}
