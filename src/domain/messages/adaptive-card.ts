/**
 * The part of the Adaptive Card schema our messages use, as zod (strict: an unknown property or a
 * value outside the enumerations fails, as it would in the official schema), plus builders.
 * Version 1.4: everything here renders in Teams desktop, web and mobile. Elements and properties
 * follow adaptivecards.io/explorer; `msteams.width` is the Teams extension for full-width cards.
 */
import { z } from 'zod';

export const CARD_VERSION = '1.4';
export const CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

const Spacing = z.enum(['none', 'small', 'default', 'medium', 'large', 'extraLarge', 'padding']);
const Color = z.enum(['default', 'dark', 'light', 'accent', 'good', 'warning', 'attention']);
const ContainerStyle = z.enum(['default', 'emphasis', 'good', 'attention', 'warning', 'accent']);

export const TextBlock = z.strictObject({
  type: z.literal('TextBlock'),
  text: z.string().min(1),
  wrap: z.boolean().optional(),
  weight: z.enum(['default', 'lighter', 'bolder']).optional(),
  size: z.enum(['default', 'small', 'medium', 'large', 'extraLarge']).optional(),
  color: Color.optional(),
  isSubtle: z.boolean().optional(),
  spacing: Spacing.optional(),
  separator: z.boolean().optional(),
  maxLines: z.number().int().positive().optional(),
});

export const Fact = z.strictObject({ title: z.string().min(1), value: z.string().min(1) });

export const FactSet = z.strictObject({
  type: z.literal('FactSet'),
  facts: z.array(Fact).min(1),
  spacing: Spacing.optional(),
  separator: z.boolean().optional(),
});

export const OpenUrlAction = z.strictObject({
  type: z.literal('Action.OpenUrl'),
  title: z.string().min(1),
  url: z.url({ protocol: /^https?$/ }),
  style: z.enum(['default', 'positive', 'destructive']).optional(),
});

type Element = z.infer<typeof TextBlock> | z.infer<typeof FactSet> | ContainerT;
interface ContainerT {
  type: 'Container';
  items: Element[];
  style?: z.infer<typeof ContainerStyle>;
  bleed?: boolean;
  spacing?: z.infer<typeof Spacing>;
  separator?: boolean;
}

export const Element: z.ZodType<Element> = z.lazy(() => z.union([TextBlock, FactSet, Container]));

export const Container: z.ZodType<ContainerT> = z.strictObject({
  type: z.literal('Container'),
  items: z.array(Element).min(1),
  style: ContainerStyle.optional(),
  bleed: z.boolean().optional(),
  spacing: Spacing.optional(),
  separator: z.boolean().optional(),
});

export const AdaptiveCard = z.strictObject({
  type: z.literal('AdaptiveCard'),
  $schema: z.literal(CARD_SCHEMA),
  version: z.enum(['1.0', '1.1', '1.2', '1.3', '1.4', '1.5']),
  body: z.array(Element).min(1),
  actions: z.array(OpenUrlAction).max(6).optional(),
  fallbackText: z.string().optional(),
  msteams: z.strictObject({ width: z.literal('Full') }).optional(),
});
export type AdaptiveCard = z.infer<typeof AdaptiveCard>;
export type CardElement = Element;
export type OpenUrlAction = z.infer<typeof OpenUrlAction>;
export type TextBlock = z.infer<typeof TextBlock>;
export type FactSet = z.infer<typeof FactSet>;
export type Container = ContainerT;

/**
 * Teams renders TextBlock text as Markdown. Text that comes from alerts or people must not turn
 * into links or headings it did not mean: break "[x](url)" link syntax and leading "#"/">"/"-"
 * block markers. (Bare URLs still auto-link, which is what a reader expects.)
 */
export function cardText(value: string): string {
  return value
    .replace(/\]\(/g, '] (')
    .replace(/^(\s*)([#>])/gm, '$1\u200b$2')
    .replace(/\r\n?/g, '\n');
}

export function textBlock(textValue: string, options: Omit<TextBlock, 'type' | 'text'> = {}): TextBlock {
  return { type: 'TextBlock', text: textValue, wrap: true, ...options };
}

export function factSet(facts: readonly (readonly [string, string | undefined])[]): FactSet | undefined {
  const present = facts.filter((f): f is readonly [string, string] => typeof f[1] === 'string' && f[1].trim() !== '');
  if (present.length === 0) return undefined;
  return { type: 'FactSet', facts: present.map(([title, value]) => ({ title, value: cardText(value) })) };
}

export function container(items: (CardElement | undefined)[], options: Omit<ContainerT, 'type' | 'items'> = {}): Container {
  return { type: 'Container', items: items.filter((i): i is CardElement => i !== undefined), ...options };
}
