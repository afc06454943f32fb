import type { SVGProps } from 'react';

type IconProps = SVGProps<SVGSVGElement> & { size?: number };

/** One 24×24 glyph; `outline` icons are stroked, the others filled. */
function Svg({ size = 20, d, outline = false, ...rest }: IconProps & { d: string; outline?: boolean }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      fill={outline ? 'none' : 'currentColor'}
      stroke={outline ? 'currentColor' : 'none'}
      strokeWidth={outline ? 2 : undefined}
      strokeLinecap="round"
      strokeLinejoin="round"
      {...rest}
    >
      <path d={d} />
    </svg>
  );
}

export const PlayIcon = (props: IconProps) => (
  <Svg {...props} d={'M7 4.5v15a1 1 0 0 0 1.5.86l12-7.5a1 1 0 0 0 0-1.72l-12-7.5A1 1 0 0 0 7 4.5z'} />
);
export const PauseIcon = (props: IconProps) => <Svg {...props} d={'M6 4h4v16H6zM14 4h4v16h-4z'} />;
export const NextIcon = (props: IconProps) => (
  <Svg {...props} d={'M5 4.8v14.4a.8.8 0 0 0 1.23.67L16 13.5V19h3V5h-3v5.5L6.23 4.13A.8.8 0 0 0 5 4.8z'} />
);
export const VolumeIcon = (props: IconProps) => (
  <Svg
    {...props}
    d={
      'M4 9v6h4l5 4V5L8 9H4zm12.5 3a4.5 4.5 0 0 0-2.5-4v8a4.5 4.5 0 0 0 2.5-4zM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z'
    }
  />
);
export const MuteIcon = (props: IconProps) => (
  <Svg
    {...props}
    d={
      'M4 9v6h4l5 4V5L8 9H4zm15.6 3 2.2-2.2-1.4-1.4-2.2 2.2-2.2-2.2-1.4 1.4 2.2 2.2-2.2 2.2 1.4 1.4 2.2-2.2 2.2 2.2 1.4-1.4z'
    }
  />
);
export const SubtitlesIcon = (props: IconProps) => (
  <Svg
    {...props}
    d={
      'M4 5h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2zm2 8v2h8v-2H6zm10 0v2h2v-2h-2zM6 10v2h2v-2H6zm4 0v2h8v-2h-8z'
    }
  />
);
export const GearIcon = (props: IconProps) => (
  <Svg
    {...props}
    d={
      'M19.4 13a7.5 7.5 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.4 7.4 0 0 0-1.7-1L15 3.3h-4l-.4 2.6a7.4 7.4 0 0 0-1.7 1l-2.5-1-2 3.5L6.6 11a7.5 7.5 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1a7.4 7.4 0 0 0 1.7 1l.4 2.6h4l.4-2.6a7.4 7.4 0 0 0 1.7-1l2.5 1 2-3.5L19.4 13zM13 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7z'
    }
  />
);
export const FullscreenIcon = (props: IconProps) => (
  <Svg {...props} d={'M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5'} outline />
);
export const CrownIcon = (props: IconProps) => <Svg {...props} d={'M3 7l4.5 4L12 4l4.5 7L21 7l-2 12H5L3 7z'} />;
export const CloseIcon = (props: IconProps) => <Svg {...props} d={'M6 6l12 12M18 6L6 18'} outline />;
export const UpIcon = (props: IconProps) => <Svg {...props} d={'M6 15l6-6 6 6'} outline />;
export const DownIcon = (props: IconProps) => <Svg {...props} d={'M6 9l6 6 6-6'} outline />;
export const SearchIcon = (props: IconProps) => (
  <Svg {...props} d={'M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM20 20l-4-4'} outline />
);
export const PlusIcon = (props: IconProps) => <Svg {...props} d={'M12 5v14M5 12h14'} outline />;
export const BackIcon = (props: IconProps) => <Svg {...props} d={'M15 6l-6 6 6 6'} outline />;
export const LinkIcon = (props: IconProps) => (
  <Svg
    {...props}
    d={'M10 14a4 4 0 0 0 5.66 0l3-3a4 4 0 0 0-5.66-5.66l-1 1M14 10a4 4 0 0 0-5.66 0l-3 3a4 4 0 0 0 5.66 5.66l1-1'}
    outline
  />
);
export const OfflineIcon = (props: IconProps) => (
  <Svg
    {...props}
    d={'M2 8.8a15 15 0 0 1 20 0M5.5 12.5a10 10 0 0 1 13 0M9 16a5 5 0 0 1 6 0M12 20h.01M3 3l18 18'}
    outline
  />
);
export const QueueIcon = (props: IconProps) => <Svg {...props} d={'M4 6h12M4 12h12M4 18h8M18 14v6l4-3z'} outline />;
export const LibraryIcon = (props: IconProps) => (
  <Svg {...props} d={'M4 4h4v16H4zM10 4h4v16h-4zM16.5 4.5l3.8 1-4 15.4-3.8-1z'} outline />
);
export const PeopleIcon = (props: IconProps) => (
  <Svg
    {...props}
    d={'M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21a7 7 0 0 1 14 0M16 3.13a4 4 0 0 1 0 7.75M22 21a7 7 0 0 0-5-6.7'}
    outline
  />
);
export const MoreIcon = (props: IconProps) => (
  <Svg
    {...props}
    d={'M5 10a2 2 0 1 0 0 4 2 2 0 0 0 0-4zm7 0a2 2 0 1 0 0 4 2 2 0 0 0 0-4zm7 0a2 2 0 1 0 0 4 2 2 0 0 0 0-4z'}
  />
);
