import type { Editor } from '@tiptap/vue-3';
import {
  mdiCodeTags,
  mdiFormatBold,
  mdiFormatHeader2,
  mdiFormatHeader3,
  mdiFormatItalic,
  mdiFormatListBulleted,
  mdiFormatListNumbered,
  mdiFormatQuoteClose,
  mdiFormatStrikethrough,
  mdiRedo,
  mdiUndo,
} from '@mdi/js';

// The formatting commands a rich-text toolbar can offer: icon, command and whether it is active
// at the cursor. `mirrored` icons (undo, redo) are flipped in right-to-left layouts.

export interface EditorTool {
  icon: string;
  run: (e: Editor) => void;
  active?: (e: Editor) => boolean;
  mirrored?: boolean;
}

export const EDITOR_TOOLS = {
  bold: { icon: mdiFormatBold, run: (e) => e.chain().focus().toggleBold().run(), active: (e) => e.isActive('bold') },
  italic: { icon: mdiFormatItalic, run: (e) => e.chain().focus().toggleItalic().run(), active: (e) => e.isActive('italic') },
  strike: { icon: mdiFormatStrikethrough, run: (e) => e.chain().focus().toggleStrike().run(), active: (e) => e.isActive('strike') },
  heading2: { icon: mdiFormatHeader2, run: (e) => e.chain().focus().toggleHeading({ level: 2 }).run(), active: (e) => e.isActive('heading', { level: 2 }) },
  heading3: { icon: mdiFormatHeader3, run: (e) => e.chain().focus().toggleHeading({ level: 3 }).run(), active: (e) => e.isActive('heading', { level: 3 }) },
  bulletList: { icon: mdiFormatListBulleted, run: (e) => e.chain().focus().toggleBulletList().run(), active: (e) => e.isActive('bulletList') },
  orderedList: { icon: mdiFormatListNumbered, run: (e) => e.chain().focus().toggleOrderedList().run(), active: (e) => e.isActive('orderedList') },
  quote: { icon: mdiFormatQuoteClose, run: (e) => e.chain().focus().toggleBlockquote().run(), active: (e) => e.isActive('blockquote') },
  code: { icon: mdiCodeTags, run: (e) => e.chain().focus().toggleCodeBlock().run(), active: (e) => e.isActive('codeBlock') },
  undo: { icon: mdiUndo, run: (e) => e.chain().focus().undo().run(), mirrored: true },
  redo: { icon: mdiRedo, run: (e) => e.chain().focus().redo().run(), mirrored: true },
} satisfies Record<string, EditorTool>;

export type EditorToolName = keyof typeof EDITOR_TOOLS;
