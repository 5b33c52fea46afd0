import { onBeforeUnmount, watch } from 'vue';
import { useEditor, type EditorOptions, type Extensions } from '@tiptap/vue-3';
import StarterKit from '@tiptap/starter-kit';

// A TipTap rich-text editor as the console uses it (reply editor, knowledge-base articles): the
// same StarterKit (headings 2 and 3, links that do not open on click), an accessible multi-line
// textbox whose attributes follow `attributes()` (label, direction…), destroyed with the component.

type Attributes = Record<string, string>;
export interface RichTextEditorOptions extends Omit<Partial<EditorOptions>, 'extensions' | 'editorProps'> {
  /** The editable element's attributes besides role and aria-multiline; re-applied when they change. */
  attributes: () => Attributes;
  /** Extensions besides the StarterKit. */
  extensions?: Extensions;
  editorProps?: Omit<EditorOptions['editorProps'], 'attributes'>;
  /** Ctrl+Enter (⌘+Enter) submits the form the editor is in. */
  onSubmitKey?: () => void;
}

export function useRichTextEditor({ attributes, extensions = [], editorProps, onSubmitKey, ...options }: RichTextEditorOptions) {
  const withRole = (): Attributes => ({ role: 'textbox', 'aria-multiline': 'true', ...attributes() });
  const editor = useEditor({
    ...options,
    extensions: [StarterKit.configure({ heading: { levels: [2, 3] }, link: { openOnClick: false, autolink: true } }), ...extensions],
    editorProps: {
      ...(onSubmitKey
        ? {
            handleKeyDown: (_view, event) => {
              if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return false;
              onSubmitKey();
              return true;
            },
          }
        : {}),
      ...editorProps,
      attributes: withRole(),
    },
  });
  watch(withRole, (attrs) => editor.value?.setOptions({ editorProps: { ...editor.value.options.editorProps, attributes: attrs } }));
  onBeforeUnmount(() => editor.value?.destroy());
  return editor;
}
