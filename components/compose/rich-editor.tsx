"use client";
/**
 * The rich-text body: Tiptap (ProseMirror). Loaded only by the compose page through
 * next/dynamic, so the mail list never downloads it. Pasted images become data: URLs in
 * the document, which the server turns into inline cid: parts (lib/compose/build.ts).
 */
import { useEditor, EditorContent, type Editor } from "@tiptap/react";
import StarterKit from "@tiptap/starter-kit";
import Image from "@tiptap/extension-image";

export interface RichEditorProps {
  initialHtml: string;
  onChange(html: string, text: string): void;
  /** Images larger than this are refused when pasted (they would exceed the message limit). */
  maxImageBytes: number;
  onError(message: string): void;
}

function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

function Button({ editor, label, active, run }: { editor: Editor; label: string; active: boolean; run: () => void }) {
  return (
    <button
      type="button"
      aria-label={label}
      aria-pressed={active}
      title={label}
      onMouseDown={(e) => e.preventDefault()}
      onClick={() => {
        run();
        editor.commands.focus();
      }}
      className={`min-w-8 rounded px-2 py-1 text-sm ${active ? "bg-slate-800 text-white" : "text-slate-700 hover:bg-slate-200"}`}
    >
      {label === "Bold" ? <b>B</b> : label === "Italic" ? <i>I</i> : label === "Underline" ? <u>U</u> : label === "Bulleted list" ? "• List" : label === "Numbered list" ? "1. List" : label === "Quote" ? "❝" : "Link"}
    </button>
  );
}

export default function RichEditor({ initialHtml, onChange, maxImageBytes, onError }: RichEditorProps) {
  const editor = useEditor({
    immediatelyRender: false,
    extensions: [StarterKit.configure({ link: { openOnClick: false, autolink: true, protocols: ["http", "https", "mailto"] } }), Image.configure({ allowBase64: true, inline: true })],
    content: initialHtml || "<p></p>",
    editorProps: {
      attributes: { class: "compose-body min-h-64 px-4 py-3 outline-none", "aria-label": "Message body", role: "textbox", "aria-multiline": "true", "data-testid": "compose-body" },
      handlePaste(view, event) {
        const images = [...(event.clipboardData?.files ?? [])].filter((f) => f.type.startsWith("image/"));
        if (images.length === 0) return false;
        for (const img of images) {
          if (img.size > maxImageBytes) {
            onError(`The pasted image is larger than the message limit`);
            continue;
          }
          void readAsDataUrl(img).then((src) => {
            const node = view.state.schema.nodes.image.create({ src, alt: img.name || "pasted image" });
            view.dispatch(view.state.tr.replaceSelectionWith(node));
          });
        }
        return true;
      },
      // Files dropped on the body become attachments (the form's drop handler), not editor content.
      handleDrop: (_view, event) => (event as DragEvent).dataTransfer?.files?.length ? true : false,
    },
    onUpdate: ({ editor: e }) => onChange(e.getHTML(), e.getText({ blockSeparator: "\n\n" })),
  });
  if (!editor) return <div className="min-h-64 px-4 py-3 text-sm text-slate-400">Loading the editor…</div>;
  const link = () => {
    const url = window.prompt("Link address", editor.getAttributes("link").href ?? "https://");
    if (url === null) return;
    if (url === "") editor.chain().extendMarkRange("link").unsetLink().run();
    else editor.chain().extendMarkRange("link").setLink({ href: url }).run();
  };
  return (
    <div>
      <div className="flex flex-wrap gap-1 border-b border-slate-200 px-2 py-1" role="toolbar" aria-label="Formatting">
        <Button editor={editor} label="Bold" active={editor.isActive("bold")} run={() => editor.chain().toggleBold().run()} />
        <Button editor={editor} label="Italic" active={editor.isActive("italic")} run={() => editor.chain().toggleItalic().run()} />
        <Button editor={editor} label="Underline" active={editor.isActive("underline")} run={() => editor.chain().toggleUnderline().run()} />
        <Button editor={editor} label="Bulleted list" active={editor.isActive("bulletList")} run={() => editor.chain().toggleBulletList().run()} />
        <Button editor={editor} label="Numbered list" active={editor.isActive("orderedList")} run={() => editor.chain().toggleOrderedList().run()} />
        <Button editor={editor} label="Quote" active={editor.isActive("blockquote")} run={() => editor.chain().toggleBlockquote().run()} />
        <Button editor={editor} label="Link" active={editor.isActive("link")} run={link} />
      </div>
      <EditorContent editor={editor} />
    </div>
  );
}
